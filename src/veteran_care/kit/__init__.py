"""Small shared pieces: text normalisation, schema bases, pagination, ETags."""
