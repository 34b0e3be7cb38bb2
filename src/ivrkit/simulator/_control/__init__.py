"""The simulator's own ``/sim/v1`` control API (script phones, call in, read transcripts, step
time, inject faults) and its Python client,
:class:`~ivrkit.simulator._control.client.SimulatorControl`."""
