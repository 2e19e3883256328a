#!/bin/sh
# Builds the Debian package (placeholder until written).
echo "make deb: not written yet" >&2; exit 1
