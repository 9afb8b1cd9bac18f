"""Socket.IO transport: python-socketio kept behind typed functions."""
