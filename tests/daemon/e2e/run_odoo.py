"""``odoo`` for the end-to-end tests: a script file, not ``python -c``, because Odoo's prefork
server starts its websocket worker as ``sys.executable sys.argv[0] gevent ...``.

The tests use no websocket (bus) and this Python has no psycogreen, which that worker needs:
it would crash and be respawned at once, over and over, eating a core. Parked instead, until
the server stops it.
"""

import signal
import sys

if sys.argv[1:2] == ["gevent"]:
    signal.pause()
else:
    import odoo.cli

    odoo.cli.main()
