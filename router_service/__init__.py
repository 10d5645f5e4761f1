"""Router service: routes council seats to OpenRouter (RouterService over gRPC).

Entry points: `router_service.server.create_server` (in-process), `router-service serve`
(the console script, `router_service.cli`). Settings come from `router_service.config`.
"""
