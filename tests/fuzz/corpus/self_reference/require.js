#!/usr/bin/env node
const x = require("../lib/x.js");
console.log(__dirname);
