"""The review console: server-rendered pages where people sign in, work queues by keyboard,
see media only blurred unless they reveal it, and decide (`bastion.web.console.desk`), and
look after their own exposure (`bastion.web.console.people`)."""
