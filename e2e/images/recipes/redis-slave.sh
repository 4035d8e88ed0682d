# coxswain/redis-slave: coxswain/redis as a replica of the master service (the seed's redis-slave).
source "$(dirname "${BASH_SOURCE[0]}")/redis.sh"
IMAGE=coxswain/redis-slave
ALIASES=(brendanburns/redis-slave)
CHANGES=('ENV PATH=/usr/local/bin:/usr/bin:/bin' 'ENV REDIS_ROLE=replica' 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]' 'EXPOSE 6379')
