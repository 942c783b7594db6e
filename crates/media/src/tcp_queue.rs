//! What an RTMP(S) destination's TCP socket still holds: bytes written but
//! not yet acknowledged by the server (Linux: `tx_queue` in
//! /proc/self/net/tcp and tcp6). rtmp2sink does not expose its socket, and
//! the OS's send buffer grows to megabytes (seconds of a slow uplink)
//! before its writes block, so counting only what the sink wrote would take
//! a full socket for a fast link. Matched by the server's address: two
//! destinations to one server see the larger of their queues.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// The server addresses of an rtmp:// or rtmps:// URL (resolved now).
pub fn peers(url: &str) -> Vec<SocketAddr> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let default = if scheme == "rtmps" { 443 } else { 1935 };
    let host = rest.split('/').next().unwrap_or("");
    let with_port = if host.starts_with('[') {
        if host.contains("]:") {
            host.to_string()
        } else {
            format!("{host}:{default}")
        }
    } else if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:{default}")
    };
    with_port.to_socket_addrs().map(|a| a.collect()).unwrap_or_default()
}

/// Bytes the kernel holds for an established connection to one of `peers`
/// (the largest if several); None where the OS does not tell.
pub fn unacked(peers: &[SocketAddr]) -> Option<u64> {
    if peers.is_empty() {
        return None;
    }
    let mut found = None;
    for file in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (remote, queue) in text.lines().skip(1).filter_map(parse_line) {
            if peers.iter().any(|p| same(p, &remote)) {
                found = Some(found.unwrap_or(0).max(queue));
            }
        }
    }
    found
}

fn same(a: &SocketAddr, b: &SocketAddr) -> bool {
    let ip = |s: &SocketAddr| match s.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    a.port() == b.port() && ip(a) == ip(b)
}

/// (remote address, tx_queue) of an ESTABLISHED line.
fn parse_line(line: &str) -> Option<(SocketAddr, u64)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 5 || f[3] != "01" {
        return None;
    }
    let (addr, port) = f[2].split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match addr.len() {
        8 => IpAddr::from(u32::from_str_radix(addr, 16).ok()?.to_le_bytes()),
        32 => {
            let mut b = [0u8; 16];
            for (i, chunk) in b.chunks_mut(4).enumerate() {
                let w = u32::from_str_radix(&addr[i * 8..i * 8 + 8], 16).ok()?;
                chunk.copy_from_slice(&w.to_le_bytes());
            }
            IpAddr::from(b)
        }
        _ => return None,
    };
    let tx = u64::from_str_radix(f[4].split(':').next()?, 16).ok()?;
    Some((SocketAddr::new(ip, port), tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernels_lines() {
        let v4 = "   5: 0100007F:D2F4 0100007F:0F8F 01 0001A2B0:00000000 01:00000014 00000000     0        0 99 1";
        assert_eq!(parse_line(v4), Some(("127.0.0.1:3983".parse().unwrap(), 0x1A2B0)));
        let v6 = "   0: 00000000000000000000000001000000:D2F4 0000000000000000FFFF00000100007F:0F8F 01 00000010:00000000 00:0 0 0 0 9";
        let (addr, q) = parse_line(v6).unwrap();
        assert_eq!(q, 16);
        assert!(same(&addr, &"127.0.0.1:3983".parse().unwrap()), "{addr}");
        assert_eq!(
            parse_line(&v4.replace(" 01 ", " 0A ")),
            None,
            "listening sockets are not connections"
        );
        assert_eq!(peers("rtmp://127.0.0.1/live"), vec!["127.0.0.1:1935".parse().unwrap()]);
        assert_eq!(
            peers("rtmps://127.0.0.1:4443/app"),
            vec!["127.0.0.1:4443".parse().unwrap()]
        );
    }

    #[test]
    fn sees_a_real_connections_queue() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        let _server = listener.accept().unwrap(); // never reads
        client.set_nonblocking(true).unwrap();
        let mut written = 0;
        let chunk = vec![0u8; 65536];
        while let Ok(n) = client.write(&chunk) {
            written += n;
            if written > 64 << 20 {
                break;
            }
        }
        let q = unacked(&[addr]).expect("the connection is listed");
        assert!(q > 0 && q as usize <= written, "{q} of {written}");
    }
}
