# The guestbook frontend of e2e/images/guestbook/ on current public images: redis:7-alpine brings
# redis-cli and a shell, busybox-extras the httpd that runs guestbook.php as a shell CGI script.
#   docker build -t guestbook-frontend:v1 -f examples/guestbook-public/frontend.Dockerfile e2e/images/guestbook
FROM redis:7-alpine
RUN apk add --no-cache busybox-extras
COPY index.html guestbook.php /www/
COPY httpd.conf /etc/httpd.conf
COPY guestbook-entrypoint /usr/local/bin/guestbook-entrypoint
RUN sed -i 's/@VERSION@/v1/g' /www/index.html && echo v1 > /etc/guestbook-version \
 && chmod 755 /usr/local/bin/guestbook-entrypoint
EXPOSE 80
ENTRYPOINT ["/usr/local/bin/guestbook-entrypoint"]
