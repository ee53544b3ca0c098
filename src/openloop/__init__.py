from openloop._version import __version__
