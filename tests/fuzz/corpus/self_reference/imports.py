#!/usr/bin/python3
import os, sys
from helper import x
here = os.path.dirname(__file__)
