#!/usr/bin/env python3
# A WebKitGTK browser for WebKitWebDriver, used instead of MiniBrowser because MiniBrowser's automation session is
# ephemeral: this one keeps its profile in the directory given as --profile=DIR, so a test can restart the browser
# as a returning visitor, and it prints the pages' console messages to stderr (WebKit prints none for ephemeral
# sessions), and when a navigation failed. The driver starts it with --automation and asks it for web views through the `create-web-view` signal.
# It also prints what plain WebDriver does not tell (the test helper webkit.ts reads these lines): each navigation's
# response, and each request of a page (numbered by web view, in the order the driver asked for them) with how it
# ended. Scripts in DIR/init.js, as it is when a web view is made, run first in every document of that view
# (playwright's addInitScript); --no-service-workers turns WebKit's service workers off, as a browser setting does.
import json
import sys
import gi
gi.require_version('Gtk', '3.0')
gi.require_version('WebKit2', '4.1')
from gi.repository import Gtk, WebKit2  # noqa: E402

profile = next((a.split('=', 1)[1] for a in sys.argv if a.startswith('--profile=')), None)
if not profile or '--automation' not in sys.argv:
    sys.exit('usage: webkit-browser.py --automation --profile=DIR [--no-service-workers]')

data = WebKit2.WebsiteDataManager(base_data_directory=profile + '/data', base_cache_directory=profile + '/cache')
context = WebKit2.WebContext(website_data_manager=data)
context.set_automation_allowed(True)
windows = []
views = 0
resources = 0


def say(line):
    print('planktos-webkit: ' + line, file=sys.stderr, flush=True)


def init_scripts():
    content = WebKit2.UserContentManager()
    try:
        with open(profile + '/init.js', encoding='utf-8') as f:
            source = f.read()
    except FileNotFoundError:
        return content
    content.add_script(WebKit2.UserScript(source, WebKit2.UserContentInjectedFrames.ALL_FRAMES,
                                          WebKit2.UserScriptInjectionTime.START, None, None))
    return content


def web_view(_session):
    global views
    view = WebKit2.WebView(web_context=context, is_controlled_by_automation=True, user_content_manager=init_scripts())
    settings = view.get_settings()
    settings.set_enable_write_console_messages_to_stdout(True)
    if '--no-service-workers' in sys.argv:
        features = WebKit2.Settings.get_all_features()
        for i in range(features.get_length()):
            if features.get(i).get_identifier() == 'ServiceWorkers':
                settings.set_feature_enabled(features.get(i), False)
    window = Gtk.Window()
    window.set_default_size(1024, 768)
    window.add(view)
    window.show_all()
    windows.append(window)
    view.connect('close', lambda v: (window.destroy(), windows.remove(window), windows or Gtk.main_quit()))
    # WebDriver reports a navigation that failed (the origin down, nothing to answer) as a success that shows an
    # error page: these lines let the test helper (webkit.ts, goto) tell, in order, on the one stream.
    view.connect('load-failed', load_failed, views)
    view.connect('load-changed', load_changed, views)
    view.connect('resource-load-started', resource_load_started, views)
    views += 1
    return view


def load_failed(_view, _event, uri, error, index):
    # A load that another navigation replaced (a script reloading the page) did not fail: as in playwright.
    if error.matches(WebKit2.network_error_quark(), WebKit2.NetworkError.CANCELLED) or \
            error.matches(WebKit2.policy_error_quark(), WebKit2.PolicyError.FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE):
        return False
    say(f'load failed {index}: {uri}: {error.message}')
    return False


def load_changed(view, event, index):
    if event == WebKit2.LoadEvent.FINISHED:
        response = view.get_main_resource() and view.get_main_resource().get_response()
        if response:
            headers = {}
            response.get_http_headers().foreach(lambda name, value: headers.update({name.lower(): value}))
            say(f'response {index} ' + json.dumps({'url': response.get_uri(), 'status': response.get_status_code(), 'headers': headers}))
        say(f'load finished {index}: {view.get_uri()}')


def resource_load_started(_view, resource, _request, index):
    global resources
    resources += 1
    key = f'{index} {resources}'
    say(f'request {key} {resource.get_uri()}')
    resource.connect('finished', lambda _r: say(f'finished {key}'))
    resource.connect('failed', lambda _r, _error: say(f'failed {key}'))


def automation_started(_context, session):
    info = WebKit2.ApplicationInfo()
    info.set_name('planktos-webkit-browser')
    info.set_version(1, 0, 0)
    session.set_application_info(info)
    session.connect('create-web-view', web_view)


context.connect('automation-started', automation_started)
Gtk.main()
