"""API shapes (Pydantic), kept apart from the models."""
