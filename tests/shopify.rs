//! Catalog import from a Shopify storefront, against a local HTTP server
//! answering like one: real-shaped products.json pages, a 429 with
//! Retry-After before the answer, pictures downloaded once, and the errors
//! a host meets (404, 401, truncated JSON, no answer in time) in plain words.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: body.into(),
    }
}

type Route = dyn Fn(&str, usize) -> Reply + Send + Sync;

/// A one-request-per-connection HTTP server on loopback; stops when dropped.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(route: Box<Route>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let (s, r) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let n = count.fetch_add(1, Ordering::Relaxed);
                        serve(stream, &*route, n, &r);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Server { port, stop, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut stream: TcpStream, route: &Route, n: usize, log: &Mutex<Vec<String>>) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    log.lock().unwrap().push(path.clone());
    let r = route(&path, n);
    let reason = match r.status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Whatever",
    };
    let mut out = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        r.body.len()
    );
    for (k, v) in &r.headers {
        out += &format!("{k}: {v}\r\n");
    }
    out += "\r\n";
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(&r.body);
}

fn demo_png() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/linen-shirt.png")).unwrap()
}

/// products.json pages shaped like a storefront's.
fn page(products: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "products": products })).unwrap()
}

fn product(
    id: u64,
    handle: &str,
    title: &str,
    tags: serde_json::Value,
    variants: serde_json::Value,
    image: Option<String>,
) -> serde_json::Value {
    serde_json::json!({
        "id": id, "title": title, "handle": handle, "body_html": "<p>Soft.</p>",
        "published_at": "2026-11-01T10:00:00-05:00", "created_at": "2026-10-01T10:00:00-05:00",
        "updated_at": "2026-11-20T10:00:00-05:00", "vendor": "Demo", "product_type": "Shirts",
        "tags": tags, "variants": variants,
        "images": image.map(|src| vec![serde_json::json!({"id": id + 1, "position": 1, "product_id": id, "variant_ids": [], "src": src, "width": 320, "height": 320})]).unwrap_or_default(),
        "options": [{"name": "Size", "position": 1, "values": ["S", "M"]}]
    })
}

fn variant(title: &str, price: &str, compare: Option<&str>, available: bool) -> serde_json::Value {
    serde_json::json!({
        "id": 1, "title": title, "option1": title, "option2": null, "option3": null, "sku": format!("SKU-{title}"),
        "requires_shipping": true, "taxable": true, "featured_image": null, "available": available,
        "price": price, "grams": 200, "compare_at_price": compare, "position": 1, "product_id": 1
    })
}

fn import(server: &Server, out: &Path, extra: &[&str]) -> (bool, String, String) {
    let o = Command::new(showroom_bin())
        .args(["catalog", "import-shopify", &server.url(), "--currency", "USD", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn every_page_is_imported_after_a_429_and_pictures_work_offline() {
    let dir = tempdir("shopify");
    let base = Arc::new(Mutex::new(String::new()));
    let b = base.clone();
    let server = Server::start(Box::new(move |path, n| {
        let base = b.lock().unwrap().clone();
        match path {
            // The first request is told to wait a second.
            p if p.starts_with("/products.json") && n == 0 => Reply {
                status: 429,
                headers: vec![("Retry-After", "1".into())],
                body: b"{\"errors\":\"Too many requests\"}".to_vec(),
            },
            "/products.json?limit=250&page=1" => reply(
                200,
                page(&[
                    product(
                        11,
                        "linen-shirt",
                        "Linen Shirt",
                        serde_json::json!(["new", "summer"]),
                        serde_json::json!([
                            variant("S", "39.00", Some("52.00"), true),
                            variant("M", "39.00", Some("52.00"), false)
                        ]),
                        Some(format!("{base}/cdn/shirt.png?v=17")),
                    ),
                    product(
                        12,
                        "ceramic-mug",
                        "Ceramic Mug",
                        serde_json::json!("code:M7, Limited"),
                        serde_json::json!([variant("Default Title", "18.50", None, false)]),
                        Some(format!("{base}/cdn/missing.png")),
                    ),
                ]),
            ),
            "/products.json?limit=250&page=2" => reply(
                200,
                page(&[
                    product(
                        13,
                        "broken",
                        "Broken",
                        serde_json::json!([]),
                        serde_json::json!([variant("S", "twelve", None, true)]),
                        None,
                    ),
                    product(
                        14,
                        "cap",
                        "Cap",
                        serde_json::json!([]),
                        serde_json::json!([variant("Default Title", "9.00", None, true)]),
                        None,
                    ),
                ]),
            ),
            "/products.json?limit=250&page=3" => reply(200, page(&[])),
            "/cdn/shirt.png?v=17" => reply(200, demo_png()),
            _ => reply(404, "not here"),
        }
    }));
    *base.lock().unwrap() = server.url();
    let out = dir.join("catalog.json");
    let (ok, stdout, stderr) = import(&server, &out, &[]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("HTTP 429): waiting 1 s"), "{stderr}");
    assert!(
        stderr.contains("page 1: 2 products") && stderr.contains("page 2: 2 products"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`broken`: variants[0].price: price \"twelve\" is not a number"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/cdn/missing.png: HTTP 404; `ceramic-mug` has no picture"),
        "{stderr}"
    );
    assert!(stdout.contains("3 products"), "{stdout}");
    let reqs = server.requests();
    assert_eq!(
        reqs.iter()
            .filter(|r| r.as_str() == "/products.json?limit=250&page=1")
            .count(),
        2,
        "{reqs:?}"
    );

    let (catalog, problems) = showroom::products::json::load_file(&out, None).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let p = &catalog.products;
    assert_eq!(
        p.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
        ["A1", "M7", "A2"]
    );
    assert_eq!(p[0].title, "Linen Shirt");
    assert_eq!(p[0].variants[0].price.decimal(), "39.00");
    assert_eq!(p[0].variants[0].compare_at.unwrap().decimal(), "52.00");
    assert_eq!(p[0].variants[0].option.as_deref(), Some("S"));
    assert_eq!(
        p[0].variants[1].stock,
        Some(0),
        "unavailable variant counts as sold out"
    );
    assert_eq!(p[0].variants[0].stock, None, "products.json has no stock counts");
    assert_eq!(p[1].variants[0].option, None, "Shopify's Default Title is no option");
    assert_eq!(
        p[0].url.as_deref(),
        Some(format!("{}/products/linen-shirt", server.url()).as_str())
    );
    assert_eq!(p[0].badges, [showroom::products::catalog::Badge::New]);
    assert_eq!(p[1].badges, [showroom::products::catalog::Badge::Limited]);
    // The picture is a file next to the catalog: the show needs no network.
    let picture = dir.join(&p[0].images[0]);
    drop(server);
    assert!(
        showroom::graphics::paint::load_picture(&picture).is_ok(),
        "{}",
        picture.display()
    );
    std::fs::write(
        dir.join("show.toml"),
        "[[canvases]]\nid = \"c\"\nwidth = 640\nheight = 360\n[[sources]]\nid = \"s\"\nkind = \"test-pattern\"\n[[scenes]]\nid = \"m\"\n[[scenes.layers]]\nsource = \"s\"\n[products]\ncatalog = \"catalog.json\"\n[[cues]]\nat = \"1s\"\nfeature = \"M7\"\n",
    )
    .unwrap();
    showroom::show::load(&dir.join("show.toml")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn store_errors_are_said_in_plain_words_and_nothing_is_written() {
    let dir = tempdir("shopify-errors");
    let out = dir.join("catalog.json");
    let cases: Vec<(Box<Route>, &str, &[&str])> = vec![
        (
            Box::new(|_, _| reply(404, "Not Found")),
            "HTTP 404 — no products.json there",
            &[],
        ),
        (Box::new(|_, _| reply(401, "")), "password-protected", &[]),
        (
            Box::new(|_, _| reply(200, &b"{\"products\": [{\"id\": 1, \"title\": \"Lin"[..])),
            "not a products.json answer (line 1",
            &[],
        ),
        (
            Box::new(|_, _| Reply {
                status: 429,
                headers: vec![("Retry-After", "0".into())],
                body: vec![],
            }),
            "kept refusing with HTTP 429",
            &[],
        ),
        (
            Box::new(|_, _| {
                std::thread::sleep(Duration::from_secs(3));
                reply(200, page(&[]))
            }),
            "no answer in time",
            &["--timeout", "1"],
        ),
    ];
    for (route, expected, extra) in cases {
        let server = Server::start(route);
        let (ok, _, stderr) = import(&server, &out, extra);
        assert!(!ok, "{expected}: import succeeded");
        assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
        assert!(!out.exists(), "a failed import wrote a catalog");
    }
    // Nothing listening at all.
    let port = free_port();
    let o = Command::new(showroom_bin())
        .args([
            "catalog",
            "import-shopify",
            &format!("http://127.0.0.1:{port}"),
            "--currency",
            "USD",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("cannot connect"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_picture_url_is_downloaded_once_and_then_read_offline() {
    use showroom::products::images;
    let dir = tempdir("picture-cache");
    let server = Server::start(Box::new(|path, _| match path {
        "/p/shirt.png" => reply(200, demo_png()),
        "/p/page.png" => reply(200, "<html>sign in</html>"),
        _ => reply(404, ""),
    }));
    let client = images::client(Duration::from_secs(5)).unwrap();
    let url = format!("{}/p/shirt.png", server.url());
    let first = images::fetch(&client, &url, &dir).unwrap();
    assert_eq!(first, images::cached_path(&dir, &url));
    // An HTML page where a picture should be is refused, not cached.
    let bad = format!("{}/p/page.png", server.url());
    assert!(
        images::fetch(&client, &bad, &dir)
            .unwrap_err()
            .to_string()
            .contains("not a PNG, JPEG or WebP")
    );
    assert!(!images::cached_path(&dir, &bad).exists());
    drop(server);
    std::thread::sleep(Duration::from_millis(50));
    // Offline: the cached file answers without asking the network.
    assert_eq!(images::fetch(&client, &url, &dir).unwrap(), first);
    assert!(showroom::graphics::paint::load_picture(&first).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shows_stock_follows_the_storefront_while_it_runs() {
    let _heavy = heavy_lock();
    let dir = tempdir("shopify-refresh");
    // Available for the first two answers, then sold out.
    let server = Server::start(Box::new(|path, n| match path {
        "/products.json?limit=250&page=1" => reply(
            200,
            page(&[product(
                11,
                "linen-shirt",
                "Linen Shirt",
                serde_json::json!([]),
                serde_json::json!([variant("M", "39.00", None, n < 2)]),
                None,
            )]),
        ),
        _ => reply(200, page(&[])),
    }));
    std::fs::write(
        dir.join("catalog.json"),
        r#"{"products": [{"id": "linen-shirt", "code": "A1", "title": "Linen Shirt", "currency": "USD",
            "variants": [{"option": "M", "price": "39.00"}]}]}"#,
    )
    .unwrap();
    let show = format!(
        "[[canvases]]\nid = \"c\"\nwidth = 320\nheight = 180\n[[sources]]\nid = \"s\"\nkind = \"test-pattern\"\n\
         [[scenes]]\nid = \"m\"\n[[scenes.layers]]\nsource = \"s\"\nplace.c = {{ x = 0, y = 0, width = 320, height = 180 }}\n\
         [products]\ncatalog = \"catalog.json\"\ncurrency = \"USD\"\nshopify = \"{}\"\nrefresh = \"1s\"\n",
        server.url()
    );
    let engine = showroom::engine::Engine::start_with(
        load_show(&dir, &show),
        showroom::engine::StartOptions {
            live: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(engine.snapshot().graphics.stock, [None]);
    let sold_out = poll_until(Duration::from_secs(15), || {
        engine.snapshot().graphics.stock == [Some(0)]
    });
    assert!(sold_out.is_some(), "{:?}", engine.snapshot().graphics.stock);
    engine.stop();
    assert!(server.requests().len() >= 3, "{:?}", server.requests());
    let _ = std::fs::remove_dir_all(&dir);
}
