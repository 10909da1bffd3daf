#!/usr/bin/env python3
# A WebKitGTK browser for WebKitWebDriver, used instead of MiniBrowser because MiniBrowser's automation session is
# ephemeral: this one keeps its profile in the directory given as --profile=DIR, so a test can restart the browser
# as a returning visitor, and it prints the pages' console messages to stderr (WebKit prints none for ephemeral
# sessions), and when a navigation failed. The driver starts it with --automation and asks it for web views through the `create-web-view` signal.
import sys
import gi
gi.require_version('Gtk', '3.0')
gi.require_version('WebKit2', '4.1')
from gi.repository import Gtk, WebKit2  # noqa: E402

profile = next((a.split('=', 1)[1] for a in sys.argv if a.startswith('--profile=')), None)
if not profile or '--automation' not in sys.argv:
    sys.exit('usage: webkit-browser.py --automation --profile=DIR')

data = WebKit2.WebsiteDataManager(base_data_directory=profile + '/data', base_cache_directory=profile + '/cache')
context = WebKit2.WebContext(website_data_manager=data)
context.set_automation_allowed(True)
windows = []


def web_view(_session):
    view = WebKit2.WebView(web_context=context, is_controlled_by_automation=True)
    view.get_settings().set_enable_write_console_messages_to_stdout(True)
    window = Gtk.Window()
    window.set_default_size(1024, 768)
    window.add(view)
    window.show_all()
    windows.append(window)
    view.connect('close', lambda v: (window.destroy(), windows.remove(window), windows or Gtk.main_quit()))
    # WebDriver reports a navigation that failed (the origin down, nothing to answer) as a success that shows an
    # error page: these lines let the test helper (webkit.ts, goto) tell, in order, on the one stream.
    view.connect('load-failed', load_failed)
    view.connect('load-changed', load_changed)
    return view


def load_failed(_view, _event, uri, error):
    # A load that another navigation replaced (a script reloading the page) did not fail: as in playwright.
    if error.matches(WebKit2.network_error_quark(), WebKit2.NetworkError.CANCELLED) or \
            error.matches(WebKit2.policy_error_quark(), WebKit2.PolicyError.FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE):
        return False
    print(f'planktos-webkit: load failed: {uri}: {error.message}', file=sys.stderr, flush=True)
    return False


def load_changed(view, event):
    if event == WebKit2.LoadEvent.FINISHED:
        print(f'planktos-webkit: load finished: {view.get_uri()}', file=sys.stderr, flush=True)


def automation_started(_context, session):
    info = WebKit2.ApplicationInfo()
    info.set_name('planktos-webkit-browser')
    info.set_version(1, 0, 0)
    session.set_application_info(info)
    session.connect('create-web-view', web_view)


context.connect('automation-started', automation_started)
Gtk.main()
