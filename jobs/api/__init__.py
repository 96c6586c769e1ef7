"""The jobs REST API: requesters' jobs, HITs and review, and the workers' side."""
