"""The agent's hooks into the training process: its exit and forks (`lifecycle`), SIGTERM
(`signals`), why it failed (`failure`), that it is still alive (`heartbeat`), and what it
prints (`console`)."""
