"""The simulated account: its run-time settings, virtual numbers, webhooks, scripted phones,
rate limit and the faults it is told to inject. Plain state, no calls and no HTTP."""
