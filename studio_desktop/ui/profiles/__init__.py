"""The Profiles area: the model profiles and their reference images."""
