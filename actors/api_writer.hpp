#pragma once
// The one place writes leave the operator. Each write is handed to the client (which rate
// limits and retries) without waiting, and the reply goes back to the requesting actor when
// the API server answers. Counting writes here makes "no write when nothing changed" checkable.

#include "actors/protocol.hpp"
#include "k8s/client.hpp"

namespace actors {

api_writer_actor spawn_api_writer(caf::actor_system& sys, k8s::client& api);

}  // namespace actors
