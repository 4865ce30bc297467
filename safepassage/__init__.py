"""safepassage: a petition platform whose files are readable by its own user only.

Every process of the application imports this package before it does
anything else: ``manage.py`` (and with it every command: ``worker``,
``housekeeping``, ``signing_writer``, ``build_gazetteer``, ``migrate``), the
WSGI module, gunicorn's configuration module (which gunicorn's master loads
before it opens its log files) and the settings themselves. So this is the
one place where the file-mode mask is set, for the whole process and the
processes it starts: files are created 0600 and directories 0700
(docs/security.md, "Data at rest"). The settings add
``FILE_UPLOAD_PERMISSIONS`` because Django's file storage would otherwise
chmod what it saves to 0644 whatever the mask.
"""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o077

os.umask(PRIVATE_UMASK)
