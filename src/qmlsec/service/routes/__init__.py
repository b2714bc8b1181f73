"""HTTP routes of the inference service, one router per resource."""
