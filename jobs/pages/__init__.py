"""Web pages of the jobs app: requesters' job pages and workers' work and task pages."""
