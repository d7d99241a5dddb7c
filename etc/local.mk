# etc: the annotated tasker.yaml, example handlers and the step scripts
# they run.
#
# The handlers go to $(pkgdatadir)/handlers.  Their commands name the
# scripts by a path relative to the worker's work_dir
# ("contrib/examples/ok.sh"), so the scripts are installed under
# $(pkgdatadir)/contrib/examples: the same handlers then work with
# worker.work_dir set to the source tree or to $(pkgdatadir).
dist_handlers_DATA += \
	etc/handlers/README.md \
	etc/handlers/namespaces.yaml \
	etc/handlers/payments-1-process_payment.yaml \
	etc/handlers/payments-2-refund_payment.yaml \
	etc/handlers/payments-3-validate_card.yaml \
	etc/handlers/payments-4-process_subscription.yaml \
	etc/handlers/payments-5-cancel_subscription.yaml \
	etc/handlers/inventory-1-update_stock.yaml \
	etc/handlers/inventory-2-process_order.yaml \
	etc/handlers/inventory-3-check_availability.yaml \
	etc/handlers/notifications-1-send_email-1.0.0.yaml \
	etc/handlers/notifications-1-send_email-1.1.0.yaml \
	etc/handlers/notifications-2-send_sms.yaml \
	etc/handlers/notifications-3-push_notification.yaml \
	etc/handlers/notifications-4-alert_admin.yaml

examplesdir = $(pkgdatadir)/contrib/examples
dist_examples_SCRIPTS = \
	contrib/examples/ok.sh \
	contrib/examples/flaky.sh \
	contrib/examples/fail.sh

# The annotated tasker.yaml goes to $(sysconfdir) with worker.work_dir
# set to $(pkgdatadir), where the scripts above are: installed as it is,
# "work_dir: ~" (a cwd of "/") made every example step fail to start.
# The source tree's copy keeps "~" (the quickstart sets its own).
EXTRA_DIST += etc/tasker.yaml
install-data-local: install-tasker-yaml
uninstall-local: uninstall-tasker-yaml
.PHONY: install-tasker-yaml uninstall-tasker-yaml
install-tasker-yaml: $(srcdir)/etc/tasker.yaml
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)'
	sed -e 's|^  work_dir: ~$$|  work_dir: $(pkgdatadir)|' \
	    '$(srcdir)/etc/tasker.yaml' > '$(DESTDIR)$(sysconfdir)/tasker.yaml.tmp'
	grep -q '^  work_dir: /' '$(DESTDIR)$(sysconfdir)/tasker.yaml.tmp'
	chmod 644 '$(DESTDIR)$(sysconfdir)/tasker.yaml.tmp'
	mv -f '$(DESTDIR)$(sysconfdir)/tasker.yaml.tmp' \
	    '$(DESTDIR)$(sysconfdir)/tasker.yaml'
uninstall-tasker-yaml:
	rm -f '$(DESTDIR)$(sysconfdir)/tasker.yaml'
