"""The exchange's HTTP face: endpoints table → auth → permissions → rate limits → handler."""
