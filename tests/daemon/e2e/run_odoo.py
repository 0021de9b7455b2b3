"""``odoo`` for the end-to-end tests: a script file, not ``python -c``, because Odoo's prefork
server restarts its gevent (websocket) worker as ``sys.executable sys.argv[0] gevent ...``."""

import odoo.cli

odoo.cli.main()
