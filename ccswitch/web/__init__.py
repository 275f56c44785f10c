"""The agent desktop and the supervisor wallboard: plain HTML, CSS and JS in ``static/`` (no build step), fed by
``live``'s snapshots over Server-Sent Events (``GET /api/events``)."""
