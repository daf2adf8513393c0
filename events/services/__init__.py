"""Domain rules and transactions. Services never import views, templating or workers."""
