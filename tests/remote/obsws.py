"""Drives Showroom's remote control with obsws-python (PyPI), as scripts do:
a password, the scene list, a cut, and events through its EventClient.
One JSON line per step on stdout, read by tests/remote.rs.

python obsws.py HOST PORT PASSWORD
"""
import json
import sys
import threading

import obsws_python as obs

host, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def say(**o):
    print(json.dumps(o), flush=True)


changed = threading.Event()
seen = {}


def on_current_program_scene_changed(data):
    seen["scene"] = data.scene_name
    changed.set()


try:
    req = obs.ReqClient(host=host, port=port, password=password, timeout=10)
except Exception as e:  # the test reads what went wrong
    say(step="connect", ok=False, error=repr(e))
    sys.exit(0)
say(step="connect", ok=True)
ev = obs.EventClient(host=host, port=port, password=password, subs=obs.Subs.SCENES)
ev.callback.register(on_current_program_scene_changed)
scenes = req.get_scene_list()
say(step="GetSceneList", ok=True, scenes=[s["sceneName"] for s in scenes.scenes],
    program=scenes.current_program_scene_name)
req.set_current_program_scene("intro")
say(step="SetCurrentProgramScene", ok=True, program=req.get_current_program_scene().scene_name)
say(step="event", ok=changed.wait(20), scene=seen.get("scene"))
try:
    req.set_current_program_scene("no-such-scene")
    say(step="unknown-scene", ok=False)
except obs.error.OBSSDKRequestError as e:
    say(step="unknown-scene", ok=True, code=e.code)
ev.disconnect()
req.disconnect()
say(step="done", ok=True)
