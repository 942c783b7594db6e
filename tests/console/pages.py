"""The crew console in a real browser: Debian's chromium through its
chromium-driver, driven by selenium (PyPI). Started by tests/console.rs
against a real `showroom run`; reads its setup as JSON on argv[1], prints
one JSON line per step on stdout, and talks to the test on stdin/stdout
when the test must act (revoke an invite).

Nothing here is downloaded: the browser and driver are Debian's.
"""
import sys
import time

from browser import (WAIT, cfg, say, browser, phone, laptop, until, open_page, tab, post_chat, msg,  # noqa: F401
                     click, toasts, send_raw, shot, touch_and_names)
from selenium.webdriver.support.ui import WebDriverWait

def seq_of(d, text):
    return until(d, """for (const li of document.querySelectorAll('#messages li'))
        if (li.querySelector('.text').textContent === arguments[0]) return Number(li.dataset.seq);
        return false;""", f"the message `{text}` shows", text)


def picture_luma(d, kind="program"):
    """Mean luma of the producer's first canvas's picture (0-255), or False."""
    return d.execute_script("""
        const img = document.querySelector('img[data-picture="0:' + arguments[0] + '"]');
        if (!img || !img.complete || !img.naturalWidth || !img.src.startsWith('blob:')) return false;
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const p = g.getImageData(0, 0, c.width, c.height).data;
        let s = 0; for (let i = 0; i < p.length; i += 4) s += 0.2126 * p[i] + 0.7152 * p[i+1] + 0.0722 * p[i+2];
        return s / (p.length / 4);""", kind)


links = cfg["links"]
a = browser()
b = browser()
try:
    # A moderator at phone size sees a message posted to the chat bridge.
    phone(a)
    open_page(a, links["ana"], "moderator")
    mod_a = a.current_window_handle
    touch_and_names(a, "moderator")
    post_chat([msg(1, "ann", "how much is the mug?"), msg(2, "rtl", "كم سعر الكوب؟ שלום 你好")])
    q_seq = seq_of(a, "how much is the mug?")
    seq_of(a, "كم سعر الكوب؟ שלום 你好")
    say("moderator_sees_chat", seq=q_seq)
    shot(a, "moderator-phone")

    # Pushed to the host, it appears on the host's page in another browser.
    phone(b)
    open_page(b, links["hal"], "host")
    host_h = b.current_window_handle
    touch_and_names(b, "host")
    until(b, "return document.getElementById('question').textContent.includes('No question')", "the prompter starts empty")
    click(a, "for (const li of document.querySelectorAll('#messages li')) if (Number(li.dataset.seq) === arguments[0]) return li.querySelector('button[data-action=push_question]'); return false;",
          "the To host button", q_seq)
    until(b, "return document.getElementById('question').textContent.includes('how much is the mug?') && document.getElementById('question').textContent.includes('@ann')",
          "the pushed question on the prompter")
    until(a, "return document.getElementById('pushed').textContent.includes('how much is the mug?')", "the moderator sees what is on the prompter")
    say("pushed_to_host")
    shot(b, "host-phone")
    # "Answered" on the host page clears it on both.
    click(b, "return document.querySelector('#question button[data-action=clear_question]')", "the Answered button")
    until(b, "return document.getElementById('question').textContent.includes('No question')", "the prompter is cleared")
    until(a, "return document.getElementById('pushed').textContent.includes('No question pushed')", "the moderator's page is cleared")
    until(a, "for (const li of document.querySelectorAll('#messages li')) if (Number(li.dataset.seq) === arguments[0]) return li.textContent.includes('answered by Hal'); return false;",
          "the message is marked answered by the host", q_seq)
    say("answered_on_both")

    # Two moderators: both see a hide done by one of them; the second hide
    # is told who did it and changes nothing.
    mod_b = tab(b, links["bo"], "moderator", phone)
    post_chat([msg(3, "spam", "total scam click here")])
    s_seq = seq_of(a, "total scam click here")
    seq_of(b, "total scam click here")
    b.switch_to.window(mod_b)
    click(a, "for (const li of document.querySelectorAll('#messages li')) if (Number(li.dataset.seq) === arguments[0]) return li.querySelector('button[data-action=hide]'); return false;",
          "Ana's Hide button", s_seq)
    until(b, "for (const li of document.querySelectorAll('#messages li')) if (Number(li.dataset.seq) === arguments[0]) return li.textContent.includes('hidden by Ana'); return false;",
          "Bo sees Ana's hide", s_seq)
    send_raw(b, {"action": "hide", "seq": s_seq, "id": 7})
    until(b, "return [...document.querySelectorAll('#toast div')].some(t => t.textContent.includes('Ana already did this'))", "Bo is told Ana hid it")
    say("two_moderators")

    # A word blocked, and a viewer's message put on screen as they wrote it.
    a.switch_to.window(mod_a)
    box = until(a, "return document.getElementById('block-word')", "the word box")
    box.send_keys("scamword")
    click(a, "return document.querySelector('button[data-action=block_word]')", "Block word")
    until(a, "return document.body.innerText.includes('words: scamword')", "the blocked word is listed")
    click(a, "for (const li of document.querySelectorAll('#messages li')) if (Number(li.dataset.seq) === arguments[0]) return li.querySelector('button[data-action=comment]'); return false;",
          "On screen for the mug question", q_seq)
    say("word_and_comment")

    # A moderator's token for a producer's command: refused, program unchanged.
    a.switch_to.window(mod_a)
    send_raw(a, {"action": "cut", "scene": "bright", "id": 8})
    until(a, "return [...document.querySelectorAll('#toast div')].some(t => t.textContent.includes('a moderator cannot do this'))", "the cut is refused")
    time.sleep(1.0)
    scene = a.execute_script("return state.scene")
    assert scene == "dark", f"the program changed to {scene}"
    say("moderator_cannot_cut", scene=scene)

    # The producer (laptop size) sees program pictures, cuts, and features.
    prod = tab(a, links["pat"], "producer", laptop)
    dark = WebDriverWait(a, WAIT, poll_frequency=0.1).until(lambda d: picture_luma(d))
    assert dark < 60, f"program picture of the dark scene has luma {dark}"
    shot(a, "producer-laptop")
    # Preview first: the preview picture turns bright, program stays dark.
    click(a, "for (const c of document.querySelectorAll('.card')) if (c.textContent.startsWith('bright')) return c.querySelector('button[data-action=preview]'); return false;",
          "the Preview button of `bright`")
    until(a, "return state.preview === 'bright'", "preview is `bright`")
    preview = WebDriverWait(a, WAIT, poll_frequency=0.1).until(lambda d: (v := picture_luma(d, "preview")) and v > 180 and v)
    assert picture_luma(a) < 60, "program is still dark"
    say("producer_preview", preview_luma=preview)
    shot(a, "producer-laptop-preview")
    click(a, "for (const c of document.querySelectorAll('.card')) if (c.textContent.startsWith('bright')) return c.querySelector('button[data-action=cut]'); return false;",
          "the Cut button of `bright`")
    until(a, "return state.scene === 'bright'", "program is `bright`")
    bright = WebDriverWait(a, WAIT, poll_frequency=0.1).until(lambda d: (v := picture_luma(d)) and v > 180 and v)
    say("producer_cut", dark_luma=dark, bright_luma=bright)
    click(a, "return document.querySelector('[data-product=A1] button[data-action=feature]')", "Feature A1")
    b.switch_to.window(host_h)
    until(b, "return document.getElementById('on-air-title') && document.getElementById('on-air-title').textContent === 'Mug'", "the host sees the Mug on air")
    until(b, "return document.body.innerText.includes('Cheap and cheerful')", "the host sees the Mug's talking points")
    say("featured")
    shot(b, "host-phone-product")
    # Dark, as a phone set to dark mode shows it: light text on a dark page.
    b.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    bg = b.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(18, 20, 23)", f"dark background: {bg}"
    shot(b, "host-phone-dark")
    b.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    laptop(b)
    shot(b, "host-laptop")
    phone(a)
    touch_and_names(a, "producer")
    shot(a, "producer-phone")

    # The brand sees a claim come in.
    brand = tab(a, links["bea"], "brand", phone)
    touch_and_names(a, "brand")
    post_chat([msg(4, "buyer", "SOLD A1")])
    until(a, "return document.getElementById('revenue').textContent.includes('18')", "the brand sees the revenue")
    until(a, "const r = document.querySelector('tr[data-product=A1]'); return r && r.children[2].textContent === '1'", "one unit of A1")
    until(a, "return document.getElementById('featured').textContent.includes('A1')", "the brand sees A1 was featured")
    say("brand_sees_sale")
    shot(a, "brand-phone")
    laptop(a)
    shot(a, "brand-laptop")
    a.switch_to.window(mod_a)
    laptop(a)
    shot(a, "moderator-laptop")

    # A revoked invite's open page is disconnected.
    b.switch_to.window(mod_b)
    say("revoke_bo")
    line = sys.stdin.readline()
    assert line.strip() == "revoked", line
    until(b, "return document.body.innerText.includes('Your invite was revoked')", "Bo's page is disconnected")
    b.refresh()
    until(b, "return document.body.innerText.includes('Open the link of your invite') || document.body.innerText.includes('not valid')",
          "a reload does not get Bo back in")
    say("revoked")
    say("done")
finally:
    a.quit()
    b.quit()
