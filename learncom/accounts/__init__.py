"""Members: accounts, kinds (self-declared badges), roles (rights) and teams."""
