"""What runs and patches Rasa: processes, stores, model loading and the handoff."""
