// The codec over WebSocket against RabbitMQ Web-STOMP, in its binary and its
// text mode (scripts/brokers.sh start runs both).

import { codecScenarios } from "./_codec_scenarios.ts";
import { TARGETS } from "./_codec_session.ts";

codecScenarios(TARGETS.rabbitmqWs);
codecScenarios(TARGETS.rabbitmqWsText);
