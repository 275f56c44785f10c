"""The agent desktop and the supervisor wallboard: plain HTML, CSS and JS in ``static/`` (no build step), fed by
``live``'s snapshots over Server-Sent Events (``GET /api/events``); the desk's chat panel (``static/deskchat.js``)
reads the agent's chat routes and follows their own chat stream (``GET /api/agents/<agent>/chats/events``)."""
