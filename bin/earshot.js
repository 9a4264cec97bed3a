#!/usr/bin/env node
'use strict';
require('../out/daemon/cli.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
