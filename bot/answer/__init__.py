"""What decides and renders an answer: pure functions over the knowledge and the message."""
