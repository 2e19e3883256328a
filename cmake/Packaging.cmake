# The Debian package (make deb): CPack settings.
