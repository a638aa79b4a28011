"""edge-peft's fleet server on Flower: the ServerApp (server_app.py) and the per-cohort MQTT
gateway ClientApp (gateway_app.py), with the pieces they share."""
