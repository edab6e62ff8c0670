"""Playbooks: YAML in, validated core Playbook objects out."""
