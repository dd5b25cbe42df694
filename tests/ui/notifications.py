#!/usr/bin/python3
"""A desktop's notification server for the test: owns
org.freedesktop.Notifications on the session bus and prints each Notify
call as one line, "notify app=APP summary=SUMMARY body=BODY" (newlines in
them as spaces), after a line "ready" once the name is owned.

GApplication without a portal and without org.gtk.Notifications (GNOME
Shell's) sends its GNotifications here, as any desktop's server gets them."""
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""
last_id = 0


def flat(s):
    return " ".join(s.split())


def on_call(conn, sender, path, iface, method, params, inv):
    global last_id
    if method == "Notify":
        app, replaces, _icon, summary, body = params.unpack()[:5]
        last_id += 1
        print(f"notify app={flat(app)} summary={flat(summary)} body={flat(body)}", flush=True)
        inv.return_value(GLib.Variant("(u)", (replaces or last_id,)))
    elif method == "GetCapabilities":
        inv.return_value(GLib.Variant("(as)", (["body"],)))
    elif method == "GetServerInformation":
        inv.return_value(GLib.Variant("(ssss)", ("ward-test", "ward", "1", "1.2")))
    else:
        inv.return_value(None)


def main():
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    loop = GLib.MainLoop()

    def on_bus(conn, name):
        conn.register_object("/org/freedesktop/Notifications", node.interfaces[0], on_call)

    def on_name(conn, name):
        print("ready", flush=True)

    def on_lost(conn, name):
        print("name lost", file=sys.stderr, flush=True)
        loop.quit()

    Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications",
                     Gio.BusNameOwnerFlags.NONE, on_bus, on_name, on_lost)
    loop.run()
    return 1


sys.exit(main())
