#!/usr/bin/env -S node --max-semi-space-size=2
// A small young generation: mailferry's garbage is mostly short-lived message buffers,
// and V8's default 16 MB semi-spaces add tens of MB of RSS for no speed gain here.
import '../dist/cli/main.js';
