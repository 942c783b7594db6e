"""report.html in a real browser (Debian's chromium, selenium): opened
from disk at laptop width, a screenshot for tesseract, and every request
the page made (it must make none but its own file). Started by
tests/report.rs with {"page": PATH, "out": DIR} on argv[1].
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "console"))
from browser import cfg, say, browser, until, requests  # noqa: E402

d = browser(log_network=True)
try:
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    url = "file://" + cfg["page"]
    d.get(url)
    until(d, "return document.readyState === 'complete' && document.querySelector('h1') !== null", "the report opens")
    path = os.path.join(cfg["out"], "report.png")
    d.save_screenshot(path)
    say("page", url=url, screenshot=path)
    say("requests", urls=requests(d), title=d.title,
        charts=d.execute_script("return document.querySelectorAll('svg').length"))
    say("done")
finally:
    d.quit()
