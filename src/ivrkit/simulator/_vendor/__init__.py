"""The vendor's REST surface under its own paths: Send Callflow, webhooks, speech profiles,
virtual numbers, the Recording API and log exports, with the platform's bodies and statuses."""
