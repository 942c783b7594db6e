"""What the console's browser tests share: Debian's chromium through its
chromium-driver, driven by selenium (PyPI); the setup as JSON on argv[1]
(`out`: the screenshots' folder, `bridge`/`bridge_token`: the chat
bridge); one JSON line per step on stdout. Nothing is downloaded.
"""
import json
import os
import sys
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

cfg = json.loads(sys.argv[1])
OUT = cfg["out"]
WAIT = 60  # seconds: machines are slow and busy


def say(step, **kw):
    kw["step"] = step
    print(json.dumps(kw), flush=True)


def browser(log_network=False):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    if log_network:
        # Every request the page makes, from the DevTools performance log.
        o.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--lang=en-US"]:
        o.add_argument(a)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=o)


def phone(d):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})


def laptop(d):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})


def until(d, script, what, *args):
    try:
        return WebDriverWait(d, WAIT, poll_frequency=0.05).until(lambda d: d.execute_script(script, *args))
    except Exception as e:
        body = d.execute_script("return document.body.innerText")[:3000]
        raise AssertionError(f"{what}: not within {WAIT} s; the page shows:\n{body}") from e


def open_page(d, link, role):
    d.get(link)
    until(d, "return document.body.dataset.role === arguments[0] && document.querySelector('main section, main .prompter') !== null",
          f"the {role} page opens", role)
    assert "#" not in d.current_url, "the token is taken out of the address bar"


def tab(d, link, role, size):
    d.switch_to.new_window("tab")
    size(d)
    open_page(d, link, role)
    return d.current_window_handle


def post_chat(messages):
    req = urllib.request.Request(cfg["bridge"], data=json.dumps(messages).encode(), method="POST",
                                 headers={"content-type": "application/json",
                                          "authorization": "Bearer " + cfg["bridge_token"]})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200, r.status


def msg(i, user, text, platform="tiktok"):
    return {"platform": platform, "id": f"m{i}", "author": {"id": user, "name": "@" + user}, "text": text,
            "at_ms": 1764230400000 + i}


def click(d, selector_script, what, *args):
    """Clicks what the script finds. The page re-draws on every state
    update: a button found just before a re-draw is gone when clicked, so
    it is found again (a person's click is kept whole by the page itself)."""
    for _ in range(20):
        el = until(d, selector_script, what, *args)
        try:
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
            el.click()
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{what}: the page re-drew under each of 20 clicks")


def toasts(d):
    return d.execute_script("return [...document.querySelectorAll('#toast div')].map(t => t.textContent)")


def send_raw(d, obj):
    """A crafted message, sent on the page's own connection."""
    d.execute_script("ws.send(arguments[0])", json.dumps(obj))


def shot(d, name):
    until(d, "return document.fonts.status === 'loaded'", "the fonts load")
    d.execute_script("window.scrollTo(0, 0)")
    path = os.path.join(OUT, name + ".png")
    d.save_screenshot(path)
    say("screenshot", path=path)


def touch_and_names(d, role):
    """Every control is at least 44 px each way and has an accessible name."""
    bad = d.execute_script("""
        const out = [];
        for (const b of document.querySelectorAll('button, select, input')) {
          const r = b.getBoundingClientRect();
          if (r.width === 0) continue;
          const name = b.getAttribute('aria-label') || b.textContent.trim();
          if (r.height < 44 || r.width < 44) out.push('small: ' + (name || b.outerHTML.slice(0, 60)) + ' ' + r.width + 'x' + r.height);
          if (!name) out.push('no name: ' + b.outerHTML.slice(0, 80));
        }
        return out;""")
    assert not bad, f"{role} page at 390x844: {bad}"


def requests(d):
    """The URLs the page asked for (needs browser(log_network=True))."""
    out = []
    for entry in d.get_log("performance"):
        m = json.loads(entry["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            out.append(m["params"]["request"]["url"])
    return out
