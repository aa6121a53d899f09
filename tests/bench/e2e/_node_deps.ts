// The npm packages the Node peer programs in `clients/` load from the
// project's node_modules/. Nothing imports this module; it exists so that
// Deno (with `"nodeModulesDir": "auto"`) puts those packages into
// node_modules/ where Node finds them. Run once, from the project root:
//
//   deno cache tests/bench/e2e/_node_deps.ts
//
// The majors are pinned here and the exact versions in deno.lock.

import "npm:@stomp/stompjs@7";
import "npm:@stomp/tcp-wrapper@1";
import "npm:stompit@1";
