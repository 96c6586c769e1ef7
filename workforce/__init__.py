"""Workers and workforces: profiles, teams, qualifications, blocks, quality."""
