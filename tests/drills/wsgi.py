"""The WSGI application of the fault drills: the development settings `make test` uses, with
DEBUG off once set up, so an error answers with the production error page (the drills assert
that it shows no traceback and no SQL), as pytest-django does for the test client. (A settings
module importing config.settings cannot do it: config's package import reads the settings.)"""

from django.conf import settings

from config.wsgi import application

settings.DEBUG = False

__all__ = ["application"]
