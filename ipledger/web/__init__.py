"""The browser UI: server-rendered pages over the service layer, live through the event stream."""
