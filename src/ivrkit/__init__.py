"""ivrkit: build, run and test phone IVRs on the 8x8 Voice Callflows API."""

__version__ = "0.1.0"
