// The codec over Deno TCP against ActiveMQ (scripts/brokers.sh start).

import { codecScenarios } from "./_codec_scenarios.ts";
import { TARGETS } from "./_codec_session.ts";

codecScenarios(TARGETS.activemqTcp);
