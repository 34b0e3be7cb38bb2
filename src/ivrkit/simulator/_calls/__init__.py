"""Calls on the simulated platform: sessions and their legs, the callflow runner, digit capture,
run-time refusals, webhook delivery, the judgement of answers, transcripts, recordings and log
exports. Written against :class:`~ivrkit.simulator._calls.exchange.Exchange`, not the whole
simulator."""
