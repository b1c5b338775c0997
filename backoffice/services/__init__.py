"""Operations: the only place where rules are applied and records change state."""
