"""The producer's and host's console pages during a rehearsal (started by
tests/rundown.rs against `showroom run --rehearsal --console`): the tally
says REHEARSAL, the pre-flight check names the missing key with its fix,
and a comment auction is started from the producer's form, bid on from
the chat bridge, and ended from its button.
"""
from browser import cfg, say, browser, phone, laptop, until, open_page, tab, post_chat, msg, click, shot, touch_and_names

links = cfg["links"]
d = browser()
try:
    laptop(d)
    open_page(d, links["producer"], "producer")
    until(d, "return document.getElementById('tally').textContent === 'REHEARSAL'", "the tally says REHEARSAL")
    say("tally")

    # The pre-flight check: the portrait key is missing (a rehearsal needs
    # none, the show will), with what to do; the landscape key is there.
    until(d, "return document.getElementById('preflight-status').textContent.includes('Not run yet')", "the check not run yet")
    click(d, "return document.querySelector('#preflight button[data-action=preflight]')", "Run pre-flight check")
    until(d, "return document.getElementById('preflight-status').textContent.startsWith('1 problem(s) to fix')", "one problem")
    bad = d.execute_script("return [...document.querySelectorAll('#preflight-checks li.bad')].map(l => l.textContent)")
    good = d.execute_script("return [...document.querySelectorAll('#preflight-checks li.ok')].map(l => l.textContent)")
    assert len(bad) == 1 and bad[0].startswith("FIX key of portrait") and "showroom key set" in bad[0], bad
    assert any(g.startswith("OK key of landscape") for g in good), good
    assert any(g.startswith("OK catalog") for g in good), good
    say("preflight", bad=bad, good=len(good))
    shot(d, "producer-rehearsal")

    # An auction from the form: A1 from 10.00, step 1, two minutes.
    until(d, "return document.getElementById('auction-start')", "the auction form")
    # Filled in as a person would leave them (the page re-draws twice a
    # second and keeps what is typed by field id).
    d.execute_script("""document.getElementById('auction-code').value = 'A1';
        document.getElementById('auction-start').value = '10';
        document.getElementById('auction-seconds').value = '120';""")
    click(d, "return document.querySelector('#auction button[data-action=auction]')", "Start auction")
    until(d, "return document.getElementById('auction-status').textContent.includes(' · A1 · no bids, starts at $10.00')",
          "the auction is open")
    post_chat([msg(1, "ann", "BID 12"), msg(2, "bob", "11", "youtube")])
    until(d, "return document.getElementById('auction-status').textContent.includes('$12.00 by @ann (TikTok)')", "Ann leads")
    until(d, "return document.getElementById('auction-status').textContent.includes('1 bids, 1 refused')", "Bob's bid refused")
    refused = d.execute_script("return document.querySelector('#auction .refused').textContent")
    assert "@bob" in refused and "11" in refused, refused
    say("bids", refused=refused)

    # The host's prompter shows it too, and says REHEARSAL.
    tab(d, links["host"], "host", phone)
    until(d, "return document.getElementById('tally').textContent === 'REHEARSAL'", "the host's tally says REHEARSAL")
    until(d, "return document.getElementById('host-auction') && document.getElementById('host-auction').textContent.includes('@ann leads')",
          "the host sees Ann lead")
    touch_and_names(d, "host")
    shot(d, "host-rehearsal")
    d.switch_to.window(d.window_handles[0])

    click(d, "return document.querySelector('#auction button[data-action=end_auction]')", "End auction now")
    until(d, "return document.getElementById('auction-status').textContent.includes('ended · won by @ann at $12.00 (claim')",
          "Ann won")
    say("auction_won", status=d.execute_script("return document.getElementById('auction-status').textContent"))
    say("done")
finally:
    d.quit()
